from vgptlint.launch import main

main()
