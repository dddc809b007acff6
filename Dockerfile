# Production image of e-urbanisme: the backend (Django + pygeoapi) and the tile service.
FROM python:3.11-slim-bookworm AS glyphs
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock /tmp/
RUN pip install --no-cache-dir $(grep -iE '^(freetype-py|numpy|scipy)==' /tmp/requirements.lock)
COPY frontend/tools/build_glyphs.py /tmp/
RUN python /tmp/build_glyphs.py /glyphs

FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
COPY --from=glyphs /glyphs public/glyphs
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app:/app/backend DJANGO_SETTINGS_MODULE=eurbanisme.settings \
    EU_STATIC_ROOT=/app/var/static EU_MEDIA_ROOT=/app/var/media
RUN apt-get update \
    && apt-get install -y --no-install-recommends gdal-bin curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
COPY --from=frontend /src/frontend/dist frontend/dist
COPY --from=frontend /src/frontend/node_modules/ol/dist/ol.js frontend/dist/vendor/ol/ol.js
COPY --from=frontend /src/frontend/node_modules/ol/ol.css frontend/dist/vendor/ol/ol.css
RUN EU_SECRET_KEY=build-only python backend/manage.py collectstatic --noinput -v 0
RUN useradd --system --uid 10001 eurbanisme && mkdir -p var/media && chown -R eurbanisme var
USER eurbanisme
EXPOSE 8000
CMD ["python", "-m", "eurbanisme.serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
