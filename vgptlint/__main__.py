from vgptlint.cli import main

main()
