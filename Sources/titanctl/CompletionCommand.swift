import ArgumentParser

/// `titanctl completion bash|zsh|fish`.
struct Completion: ParsableCommand {
    enum Shell: String, CaseIterable, ExpressibleByArgument {
        case bash, zsh, fish
    }

    static let configuration = CommandConfiguration(
        abstract: "Print a shell completion script for bash, zsh or fish.",
        discussion: """
            Examples:
              source <(titanctl completion bash)                      # bash, this shell
              titanctl completion bash > /etc/bash_completion.d/titanctl
              titanctl completion zsh > "${fpath[1]}/_titanctl"       # zsh
              titanctl completion fish > ~/.config/fish/completions/titanctl.fish
            """
    )

    @Argument(help: "bash, zsh or fish.")
    var shell: Shell

    func run() throws {
        let kind: CompletionShell
        switch shell {
        case .bash: kind = .bash
        case .zsh: kind = .zsh
        case .fish: kind = .fish
        }
        Console.out(Titanctl.completionScript(for: kind))
    }
}
