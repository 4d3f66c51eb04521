"""The comparison point for bench/wechat_load.py: an empty WeRoBot echo bot.

Run by the benchmark under gunicorn with one worker, from a separate virtualenv
(werobot is not a Banshi dependency):
    /tmp/werobot-venv/bin/gunicorn -w 1 -b 127.0.0.1:8902 --chdir bench werobot_echo:app
"""

import werobot

robot = werobot.WeRoBot(token="spamtest")
robot.config["SESSION_STORAGE"] = False


@robot.text
def echo(message):  # type: ignore[no-untyped-def]
    return "echo: " + message.content


app = robot.wsgi
