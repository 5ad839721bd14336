from laop.console import main

main()
