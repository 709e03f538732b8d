@echo off
rem Start an ngrok tunnel to the studio and print its public URL.
rem A thin wrapper around `python -m studio_ops.start_ngrok`; --help lists the arguments.
setlocal
set "ROOT=%~dp0.."
if not exist "%ROOT%\.venv\Scripts\python.exe" (
    python "%ROOT%\scripts\studio.py" setup || exit /b 1
)
set "PYTHONPATH=%ROOT%;%PYTHONPATH%"
"%ROOT%\.venv\Scripts\python.exe" -m studio_ops.start_ngrok %*
exit /b %errorlevel%
