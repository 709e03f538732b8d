@echo off
rem Start the whole studio. Windows has no bundled redis-server: set REDIS_URL to a Redis
rem you run (e.g. "docker run -d -p 127.0.0.1:6379:6379 redis:7") before starting.
cd /d "%~dp0\.."
python scripts\studio.py start %*
