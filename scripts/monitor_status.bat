@echo off
rem Show the studio's state on one screen (GET /health and /api/metrics).
rem A thin wrapper around `python -m studio_ops.monitor_status`; --help lists the arguments.
setlocal
set "ROOT=%~dp0.."
if not exist "%ROOT%\.venv\Scripts\python.exe" (
    python "%ROOT%\scripts\studio.py" setup || exit /b 1
)
set "PYTHONPATH=%ROOT%;%PYTHONPATH%"
"%ROOT%\.venv\Scripts\python.exe" -m studio_ops.monitor_status %*
exit /b %errorlevel%
