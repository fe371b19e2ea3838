# journeybot: the Telegram bot in a slim, non-root image.
#   docker build -t journeybot .
#   docker run --env-file .env -v journeybot:/var/lib/journeybot journeybot
# compose.yaml runs it with PostgreSQL. The render pool's fonts come with the code: DejaVu Sans
# (Polish and Indonesian letters) with matplotlib, Noto Emoji in renderers/fonts/;
# fonts-dejavu-core backs them for anything drawn with system fonts.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY flows ./flows
COPY storage ./storage
COPY renderers ./renderers
RUN python -m venv /opt/journeybot && /opt/journeybot/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/journeybot \
       --create-home --shell /usr/sbin/nologin journeybot
COPY --from=build /opt/journeybot /opt/journeybot
ENV PATH=/opt/journeybot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    JOURNEYBOT_DATABASE_URL=sqlite:////var/lib/journeybot/journeybot.db \
    JOURNEYBOT_LISTEN=0.0.0.0 \
    JOURNEYBOT_PORT=8080
USER journeybot
WORKDIR /var/lib/journeybot
VOLUME ["/var/lib/journeybot"]
# The webhook (behind a reverse proxy), /healthz and /metrics.
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD python -c "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/healthz' % os.environ.get('JOURNEYBOT_PORT', '8080'); sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)"
# Migrates the database on start (PostgreSQL under an advisory lock: several replicas may
# start at once), waits for it while it is unreachable, then polls or serves the webhook.
CMD ["journeybot", "run", "--migrate"]
