import gc

# A start makes some 400,000 objects that live as long as the process (modules, classes, content):
# the cycle collector walked them over a hundred times before the port opened, 6% of the start's
# CPU. It is off until serving starts (Heart.start_services), or until any other command begins.
gc.disable()

from bot.cli import main  # noqa: E402 (after the collector is off)

main()
