from rag.app.cli import main

raise SystemExit(main())
