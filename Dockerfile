# Production image: gunicorn web, Celery worker and beat share it (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LEXCLOUD_VAR_DIR=/var/lib/lexcloud
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . && mkdir -p /var/lib/lexcloud && DEBUG=0 python manage.py collectstatic --no-input
EXPOSE 8000
CMD ["gunicorn", "lexcloud.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
