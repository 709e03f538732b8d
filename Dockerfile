# ComfyUI Studio image: one image for the backend, the workers, the migrations and the demo
# engine (docker-compose.yml picks the command). Classic `docker build` syntax only.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# Dependencies first, from the project's metadata alone: this layer is rebuilt only when
# pyproject.toml or requirements.lock change, not on every code edit. setuptools is installed
# here too, so the project install below needs no network.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -c requirements.lock -r /tmp/requirements.txt "setuptools>=68" wheel \
 && rm /tmp/requirements.txt \
 && useradd --create-home --uid 1000 studio

COPY . .
# Editable, so the code stays in /app next to frontend/ and ComfyUIworkflow/. storage/ and
# logs/ belong to the unprivileged user: docker copies that ownership into a new named volume.
RUN pip install --no-deps --no-build-isolation -e . \
 && mkdir -p storage logs && chown studio:studio storage logs
USER studio
EXPOSE 5000
CMD ["python", "-m", "backend"]
