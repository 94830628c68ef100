from fastwsgi.cli import main

main()
