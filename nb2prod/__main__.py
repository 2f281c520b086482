from nb2prod.cli import main

raise SystemExit(main())
