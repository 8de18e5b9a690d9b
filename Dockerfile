FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY workers ./workers
COPY config ./config
COPY seeds ./seeds
RUN pip install --no-cache-dir -e . && useradd --create-home monitor && mkdir -p /data && chown monitor /data
USER monitor
EXPOSE 8000
CMD ["sanctions-monitor", "up", "--host", "0.0.0.0"]
