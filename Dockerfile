# autoserum web app: the package with its assets (protocols, templates, static files,
# migrations) installed from the pinned constraints, run as a non-root user.
# Build: docker build -t autoserum:0.1 .   Run: see compose.yaml and docs/deploy.md.
FROM python:3.11.14-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY requirements/constraints.txt requirements/constraints.txt
COPY src ./src
RUN python -m venv /opt/autoserum \
    && /opt/autoserum/bin/pip install --no-cache-dir -c requirements/constraints.txt .

FROM python:3.11.14-slim-bookworm
# postgresql-client: pg_dump/pg_restore for `autoserum backup` and `restore` (major 15, as
# the PostgreSQL server of compose.yaml)
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 autoserum \
    && useradd --system --uid 10001 --gid autoserum --home-dir /var/lib/autoserum \
       --create-home autoserum
COPY --from=build /opt/autoserum /opt/autoserum
ENV PATH=/opt/autoserum/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AUTOSERUM_ENV=production
WORKDIR /var/lib/autoserum
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["autoserum"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
