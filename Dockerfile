# One image for web, worker and beat. ffmpeg comes from the imageio-ffmpeg wheel and the offline
# voice from PyPI packages, so no system media packages are needed.
FROM python:3.11-slim

# Production unless told otherwise: DEBUG off, so a SECRET_KEY of 32+ characters is required.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DEBUG=false
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt
COPY . .
RUN SECRET_KEY=build-only-not-a-secret-0123456789abcdef python manage.py collectstatic --noinput \
    && useradd --create-home reelmate && mkdir -p /app/var && chown -R reelmate /app/var
USER reelmate
EXPOSE 5001
# The ASGI app (HTTP, the live WebSocket, SSE) under gunicorn's process management with uvicorn workers.
CMD ["sh", "-c", "gunicorn reelmate.asgi:application --worker-class uvicorn_worker.UvicornWorker --bind 0.0.0.0:${PORT:-5001} --workers 3 --access-logfile -"]
