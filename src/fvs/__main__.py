from fvs.cli import app

app()
