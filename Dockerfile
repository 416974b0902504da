# The app's image: built in one stage, run from a slim one without build tools, as a non-root user.
#   docker build -t escalations .
#   docker run --env-file .env -p 3000:3000 escalations
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md manifest.yml ./
COPY assistant ./assistant
COPY flows ./flows
COPY messages ./messages
# The wheel carries the content (flows/, messages/): the installed app needs no checkout.
RUN pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    LOG_FORMAT=json
USER 10001
WORKDIR /home/app
EXPOSE 3000
# Liveness: the process and its loops (/livez); readiness (/readyz) is the orchestrator's to ask.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:3000/livez', timeout=4).status != 200)"]
ENTRYPOINT ["python", "-m", "assistant"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
