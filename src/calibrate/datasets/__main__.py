"""``python -m calibrate.datasets DIRECTORY [--seed N]``: write the sample files."""

from __future__ import annotations

from pathlib import Path

import click

from calibrate.datasets import write_sample


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
def main(directory: Path, seed: int) -> None:
    """Write the synthetic sample export files into DIRECTORY."""
    for path in write_sample(directory, seed=seed):
        click.echo(str(path))


if __name__ == "__main__":
    main()
