from ops.drill.cli import main

raise SystemExit(main())
