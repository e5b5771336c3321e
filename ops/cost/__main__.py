from ops.cost.cli import main

raise SystemExit(main())
