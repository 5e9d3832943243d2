# heart-bot's image: the Procfile's command on a slim Python, as a non-root user, with the
# database on the /data volume. Build: docker build -t heart-bot .
# Run:   docker run -d --name heart-bot --env-file .env -p 3000:3000 -v heart-data:/data heart-bot
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_PATH=/data/heart.db \
    PORT=3000

RUN useradd --create-home --uid 10001 heart \
    && mkdir /data && chown heart:heart /data

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY manifest.yml Procfile ./
COPY bot/ bot/
COPY handlers/ handlers/
COPY content/ content/
# Compiled here once: PYTHONDONTWRITEBYTECODE keeps the bot from saving what it compiles at a start.
RUN python -m compileall -q bot handlers

USER heart
# Content read and checked once, into the cache every start reads it from (bot/cache.py).
RUN python -m bot check --content
# SQLite file, its write-ahead log and the serving lock: everything that must survive a restart.
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"
# The Procfile's web command.
CMD ["python", "-m", "bot", "serve"]
