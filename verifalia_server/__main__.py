from verifalia_server.cli import main

raise SystemExit(main())
