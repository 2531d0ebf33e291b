from embedstudio.cli import main

raise SystemExit(main())
