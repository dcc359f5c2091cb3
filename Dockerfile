# The bot in a slim image, running as a non-root user; SQLite lives on the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TGBOT_DB_PATH=/data/tgbot.sqlite3 \
    TGBOT_CACHE_DIR=/app/cache

RUN useradd --create-home --uid 10001 bot \
    && mkdir -p /data && chown bot:bot /data

WORKDIR /app
# The bot only: the development tools (devtools/: the stand-in, terminal chat, eval) stay out.
COPY pyproject.toml README.md ./
COPY messages ./messages
COPY tgbot ./tgbot
RUN pip install . && rm -rf /app/build
# Embed the exemplar sentences at build time: start-up then reads them (about 1 s saved).
RUN tgbot warm && chown -R bot:bot /app/cache

USER bot
VOLUME ["/data"]
HEALTHCHECK --interval=60s --timeout=5s --start-period=30s --retries=3 CMD ["tgbot", "health"]
CMD ["tgbot", "run"]
