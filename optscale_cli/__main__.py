from optscale_cli.main import main

main()
