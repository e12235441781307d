"""Built-in feature plugins of Ruche (ideas, votes, tips), loaded like third-party ones."""
