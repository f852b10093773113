import click

@click.group()
def cli():
    """Nianbao"""
