from ops.dr.cli import main

raise SystemExit(main())
