@echo off
rem End-to-end check of a running studio: one small job, PNG checked.
rem A thin wrapper around `python -m studio_ops.run_stack_test`; --help lists the arguments.
setlocal
set "ROOT=%~dp0.."
if not exist "%ROOT%\.venv\Scripts\python.exe" (
    python "%ROOT%\scripts\studio.py" setup || exit /b 1
)
set "PYTHONPATH=%ROOT%;%PYTHONPATH%"
"%ROOT%\.venv\Scripts\python.exe" -m studio_ops.run_stack_test %*
exit /b %errorlevel%
