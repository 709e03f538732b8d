@echo off
rem Probe the studio's rate limits (loopback only unless --allow-remote).
rem A thin wrapper around `python -m studio_ops.rate_limit_check`; --help lists the arguments.
setlocal
set "ROOT=%~dp0.."
if not exist "%ROOT%\.venv\Scripts\python.exe" (
    python "%ROOT%\scripts\studio.py" setup || exit /b 1
)
set "PYTHONPATH=%ROOT%;%PYTHONPATH%"
"%ROOT%\.venv\Scripts\python.exe" -m studio_ops.rate_limit_check %*
exit /b %errorlevel%
