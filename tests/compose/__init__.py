"""The shipped docker-compose.yml and Dockerfile, run unmodified in containers (marker `compose`)."""
