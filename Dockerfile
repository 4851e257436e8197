# syntax=docker/dockerfile:1
# accountbot as a container: `docker build -t accountbot .`, then `docker compose up -d`
# (README.md, "Deploy with Docker"). Credentials come from the environment, never the image.

# -- build: the project and every dependency as wheels -------------------------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY connectors ./connectors
COPY blocks ./blocks
COPY sandbox ./sandbox
COPY bench ./bench
RUN pip wheel --wheel-dir /wheels .

# -- run: the wheels installed (not editable), nothing of the build left behind -------------
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    PORT=3000
# the wheels are mounted for the install only, so they add no layer to the image
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels accountbot
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin accountbot
USER accountbot
# the working directory: a SQLite DATABASE_URL (the default) would put accountbot.db here
WORKDIR /home/accountbot
EXPOSE 3000
# /healthz answers 200 while `serve` can do its job (its database answers, its lease loop is alive)
# and 503 with the reason otherwise, which fails this check (the worker has no HTTP port:
# docker-compose.yml turns the check off for it)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/healthz', timeout=4)"]
ENTRYPOINT ["accountbot"]
CMD ["serve"]
