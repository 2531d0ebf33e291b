"""A form built from the config's field specs: one control per dotted field path, with the spec's label,
help, range or choices, unit and the presets/modes that use it (core/config.py declares them once).

Threads: GUI thread only. The form never edits the config itself: each edit is reported through
``edited(path, value)`` and the owner routes it through ``AppState.set_field`` (undoable).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, Union, get_args, get_origin

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from embedstudio.core import presets
from embedstudio.core.config import FieldSpec, RunConfig, field_specs

INT_MAX = 2**31 - 1
HIGHLIGHT_MS = 2500  # how long a row stays highlighted after a link to it was followed
HIGHLIGHT_STYLE = "background-color: #ffe08a; border-radius: 3px;"
W = TypeVar("W", bound=QWidget)
_SPECS: dict[str, tuple[FieldSpec, Any]] = {path: (fspec, tp) for path, fspec, tp in field_specs()}


def spec_and_type(path: str) -> tuple[FieldSpec, Any]:
    return _SPECS[path]


def get_value(cfg: RunConfig, path: str) -> Any:
    obj: Any = cfg
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def set_value(cfg: RunConfig, path: str, value: Any) -> None:
    *head, last = path.split(".")
    obj: Any = cfg
    for part in head:
        obj = getattr(obj, part)
    setattr(obj, last, value)


def format_value(path: str, value: Any) -> str:
    """A value as a person reads it: choice labels, 'on'/'off', the spec's decimals and unit."""
    fspec, _tp = spec_and_type(path)
    if value is None:
        return fspec.none_means or "automatic"
    if isinstance(value, bool):
        return "on" if value else "off"
    if fspec.choices:
        return (fspec.choice_labels or {}).get(value, str(value))
    if isinstance(value, float):
        text = f"{value:.{fspec.decimals}f}".rstrip("0").rstrip(".") if fspec.decimals else f"{value:g}"
    else:
        text = f"{value:,}" if isinstance(value, int) else str(value)
    return f"{text} {fspec.unit}" if fspec.unit else text


def tooltip(path: str) -> str:
    """The spec's help, what is allowed, and which presets/modes use the field."""
    fspec, _tp = spec_and_type(path)
    parts = [fspec.help] if fspec.help else []
    if fspec.range is not None:
        lo, hi = fspec.range
        if lo is not None and hi is not None:
            parts.append(f"Allowed: {lo:g} to {hi:g}" + (f" {fspec.unit}" if fspec.unit else ""))
        elif lo is not None:
            parts.append(f"Allowed: at least {lo:g}")
    if fspec.presets:
        parts.append("Used by: " + ", ".join(presets.get(p).label for p in fspec.presets if p in presets.PRESETS))
    if fspec.modes:
        labels = fspec.choice_labels or {}
        parts.append("Only in embedding mode: " + ", ".join(labels.get(m, m) for m in fspec.modes))
    parts.append(f"Config file: {path}")
    return "\n".join(parts)


def _base_type(tp: Any) -> tuple[Any, bool]:
    """(the type, whether None is allowed) for ``int``, ``int | None``, ``bool | None`` …"""
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return (args[0] if len(args) == 1 else tp), True
    return tp, False


@dataclass
class Field:
    """One control bound to one field path: how to read and write it, and its change signal."""

    path: str
    control: QWidget
    read: Callable[[], Any]
    write: Callable[[Any], None]
    changed: Any


def make_field(path: str) -> Field:
    """The control the spec calls for: a check box, a combo box of choices, a spin box with the spec's range,
    step, decimals and unit, or a line edit; optional numbers show ``none_means`` at their minimum."""
    fspec, tp = spec_and_type(path)
    base, optional = _base_type(tp)
    if base is bool:
        box = QCheckBox(fspec.label)
        return Field(path, box, box.isChecked, lambda v: box.setChecked(bool(v)), box.toggled)
    if fspec.choices:
        return _choice_field(path, fspec)
    if base in (int, float):
        return _number_field(path, fspec, base, optional)
    edit = QLineEdit()
    return Field(path, edit, lambda: edit.text().strip(), lambda v: edit.setText(str(v or "")), edit.editingFinished)


def _choice_field(path: str, fspec: FieldSpec) -> Field:
    combo = QComboBox()
    for choice in fspec.choices or ():
        combo.addItem((fspec.choice_labels or {}).get(choice, choice), choice)
    return Field(
        path,
        combo,
        combo.currentData,
        lambda v: combo.setCurrentIndex(max(0, combo.findData(v))),
        combo.currentIndexChanged,
    )


def _int_spin(fspec: FieldSpec, optional: bool) -> QSpinBox:
    lo, hi = fspec.range if fspec.range is not None else (None, None)
    spin = QSpinBox()
    spin.setRange(
        int(lo if lo is not None else -INT_MAX) - (1 if optional else 0),
        int(min(hi, INT_MAX) if hi is not None else INT_MAX),
    )
    spin.setSingleStep(int(fspec.step or 1))
    if (hi or 0) >= 10_000:
        spin.setGroupSeparatorShown(True)  # "20,000 words", not "20000 words"
    return spin


def _double_spin(fspec: FieldSpec) -> QDoubleSpinBox:
    lo, hi = fspec.range if fspec.range is not None else (None, None)
    spin = QDoubleSpinBox()
    spin.setDecimals(fspec.decimals if fspec.decimals is not None else 4)
    spin.setRange(float(lo if lo is not None else -1e12), float(hi if hi is not None else 1e12))
    spin.setSingleStep(float(fspec.step or 0.1))
    return spin


def _number_field(path: str, fspec: FieldSpec, base: type, optional: bool) -> Field:
    spin: QSpinBox | QDoubleSpinBox = _int_spin(fspec, optional) if base is int else _double_spin(fspec)
    spin.setKeyboardTracking(False)
    spin.setAccelerated(True)
    if fspec.unit:
        spin.setSuffix(f" {fspec.unit}")
    if optional:
        spin.setSpecialValueText(fspec.none_means or "automatic")
        minimum: Any = spin.minimum()  # an int or a float, the same type as the spin box's values
        read = lambda: None if spin.value() == minimum else spin.value()  # noqa: E731
        write = lambda v: spin.setValue(minimum if v is None else v)  # noqa: E731
        return Field(path, spin, read, write, spin.valueChanged)
    return Field(path, spin, spin.value, spin.setValue, spin.valueChanged)


class FieldRow(QWidget):
    """A control with its inline error message under it."""

    def __init__(self, control: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.control = control
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setObjectName("fieldError")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setVisible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(control)
        lay.addWidget(self.error)

    def set_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))


class ConfigForm(QObject):
    """Controls for field paths, added to QFormLayouts; ``edited(path, value)`` after a user edit.

    ``load(cfg)`` shows a config without emitting; ``update_visibility(cfg)`` shows each row only for
    the presets and embedding modes its spec names; ``show_error(path, message)`` marks a row;
    ``jump_to(path)`` scrolls to, focuses and briefly highlights it (``highlighted`` names it meanwhile).
    """

    edited = Signal(str, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fields: dict[str, Field] = {}
        self.rows: dict[str, FieldRow] = {}
        self._loading = False
        self.highlighted: str | None = None
        self.highlight_timer = QTimer(self, singleShot=True, interval=HIGHLIGHT_MS)
        self.highlight_timer.timeout.connect(self.clear_highlight)

    def add(self, form: QFormLayout, path: str) -> Field:
        f = make_field(path)
        fspec, _ = spec_and_type(path)
        f.control.setToolTip(tooltip(path))
        f.control.setObjectName(path)
        row = FieldRow(f.control)
        form.addRow("" if isinstance(f.control, QCheckBox) else fspec.label, row)
        self.fields[path], self.rows[path] = f, row
        f.changed.connect(lambda *_a, p=path: self._changed(p))
        return f

    def add_all(self, form: QFormLayout, paths: Iterable[str]) -> None:
        for path in paths:
            self.add(form, path)

    def adopt(self, path: str, f: Field) -> None:
        """Bind a control built elsewhere (laid out by its owner) to ``path``."""
        self.fields[path] = f
        f.control.setToolTip(tooltip(path))
        f.changed.connect(lambda *_a, p=path: self._changed(p))

    def control(self, path: str, kind: type[W]) -> W:
        """The control of ``path`` as the widget type its spec makes (``make_field``)."""
        control = self.fields[path].control
        if not isinstance(control, kind):
            raise TypeError(f"{path} has a {type(control).__name__}, not a {kind.__name__}")
        return control

    def _changed(self, path: str) -> None:
        if not self._loading:
            self.edited.emit(path, self.fields[path].read())

    def value(self, path: str) -> Any:
        return self.fields[path].read()

    def load(self, cfg: RunConfig) -> None:
        self._loading = True
        try:
            for path, f in self.fields.items():
                f.write(get_value(cfg, path))
        finally:
            self._loading = False

    def update_visibility(self, cfg: RunConfig) -> None:
        for path, row in self.rows.items():
            fspec, _ = spec_and_type(path)
            visible = (not fspec.presets or cfg.model.preset in fspec.presets) and (
                not fspec.modes or cfg.embedding.mode in fspec.modes
            )
            set_row_visible(row, visible)

    def is_shown(self, path: str) -> bool:
        return not self.rows[path].isHidden()

    def clear_errors(self) -> None:
        for row in self.rows.values():
            row.set_error("")

    def show_error(self, path: str, message: str) -> bool:
        """Mark ``path``'s row; False when the form has no visible row for it."""
        row = self.rows.get(path)
        if row is None or row.isHidden():
            return False
        row.set_error(message)
        return True

    def jump_to(self, path: str, scroll: QScrollArea | None = None) -> bool:
        """Scroll to ``path``'s row, focus its control and highlight it for a moment; False when not shown."""
        row = self.rows.get(path)
        if row is None or row.isHidden():
            return False
        self.clear_highlight()
        if scroll is not None:
            scroll.ensureWidgetVisible(row)
        row.control.setFocus(Qt.FocusReason.OtherFocusReason)
        _highlight_target(row).setStyleSheet(HIGHLIGHT_STYLE)
        self.highlighted = path
        self.highlight_timer.start()
        return True

    def clear_highlight(self) -> None:
        if self.highlighted is not None and self.highlighted in self.rows:
            _highlight_target(self.rows[self.highlighted]).setStyleSheet("")
        self.highlighted = None


def _highlight_target(row: FieldRow) -> QWidget:
    """The row's label, or the control itself when it has none (a check box carries its own label)."""
    label = _label_of(row)
    return label if isinstance(label, QLabel) and label.text() else row.control


def _label_of(row: QWidget) -> QWidget | None:
    parent = row.parentWidget()
    form = parent.layout() if parent is not None else None
    return form.labelForField(row) if isinstance(form, QFormLayout) else None


def set_row_visible(row: QWidget, visible: bool) -> None:
    """Show or hide a form row together with its label."""
    row.setVisible(visible)
    label = _label_of(row)
    if label is not None:
        label.setVisible(visible)


# ---- the mouse wheel changes a setting only when the control has focus ----------------------------
class WheelGuard(QObject):
    """Application-wide: spin boxes and combo boxes take focus only by click or Tab (``Qt.StrongFocus``)
    and ignore the wheel unless focused; the wheel then scrolls the form they sit in, as the user meant."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(obj, (QAbstractSpinBox, QComboBox)):
            return False
        if event.type() == QEvent.Type.Polish:
            obj.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif event.type() == QEvent.Type.Wheel and not obj.hasFocus():
            area = _scroll_area_of(obj)
            if area is not None:
                QApplication.sendEvent(area.viewport(), event)
            return True
        return False


def _scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    w = widget.parentWidget()
    while w is not None and not isinstance(w, QAbstractScrollArea):
        w = w.parentWidget()
    return w


_guard: WheelGuard | None = None


def install_wheel_guard(app: QApplication) -> WheelGuard:
    """Install once per application (idempotent)."""
    global _guard
    if _guard is None:
        _guard = WheelGuard(app)
        app.installEventFilter(_guard)
    return _guard
