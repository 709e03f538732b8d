FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY . .
# Editable install: the code stays in /app next to frontend/ and ComfyUIworkflow/.
RUN pip install --no-cache-dir $( [ -f requirements.lock ] && echo "-c requirements.lock" ) -e . \
 && useradd -m studio && mkdir -p storage logs && chown -R studio storage logs
USER studio
EXPOSE 5000
CMD ["python", "-m", "backend"]
