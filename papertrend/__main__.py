from papertrend.manage import main

main()
