from tgbot.cli import main

raise SystemExit(main())
