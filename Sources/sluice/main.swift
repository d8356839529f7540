import ArgumentParser
import CLinux

// One malloc arena for all threads, set before the first one starts: with an arena per thread,
// the read buffers that event loops allocate and uploads' threads free scattered over several
// arenas, and 1000 uploads peaked 20 MiB higher and took a fifth more CPU (README, Measured).
clinux_use_one_malloc_arena()
await runCommandLine()

/// Parses the command line and runs the command: the async `main`, which awaits the async
/// subcommands. (Top-level code here picks the synchronous one, which only prints their help.)
func runCommandLine() async {
    await SluiceCommand.main(nil)
}
