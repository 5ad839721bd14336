from laop.cli import main

main()
