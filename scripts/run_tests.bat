@echo off
cd /d "%~dp0\.."
python scripts\studio.py test %*
