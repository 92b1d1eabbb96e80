"""Operations: backups and restores (the `council backup` / `council restore` commands)."""
