using Conveyor.Server.Auth;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Server.Tests.Security;

/// <summary>The reload rules, on a real file: the file's tokens are replaced, the others kept, and a reload never opens the server.</summary>
public sealed class TokensFileReloaderTests : IDisposable
{
    private readonly string _file = Path.Combine(Directory.CreateTempSubdirectory("conveyor-tokens-").FullName, "tokens");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);

    private async Task<(ServerOptions, TokensFileReloader)> Start(bool withEnvToken)
    {
        var fromFile = ApiTokens.Create([Scopes.Work], "file");
        File.WriteAllText(_file, fromFile.Line + "\n");
        var options = new ServerOptions { TokensFile = _file };
        if (withEnvToken) options.Tokens.Add(ApiToken.FromSecret("env-secret", [Scopes.Admin], "env"));
        options.Tokens.Add(fromFile.Token);
        var reloader = new TokensFileReloader(options, TimeProvider.System, NullLogger<TokensFileReloader>.Instance);
        await reloader.StartAsync(default);
        return (options, reloader);
    }

    [Fact]
    public async Task The_files_tokens_are_replaced_and_the_others_stay()
    {
        var (options, reloader) = await Start(withEnvToken: true);
        using var _ = reloader;
        var next = ApiTokens.Create([Scopes.Submit], "next");
        File.WriteAllText(_file, next.Line + "\n");
        reloader.Reload();
        Assert.Equal(["env", "next"], options.Tokens.Select(t => t.Label).Order());

        File.WriteAllText(_file, "# nothing here any more\n");
        reloader.Reload();
        Assert.Equal(["env"], options.Tokens.Select(t => t.Label));
    }

    [Fact]
    public async Task A_file_that_would_leave_no_token_or_does_not_parse_keeps_the_tokens_in_force()
    {
        var (options, reloader) = await Start(withEnvToken: false);
        using var _ = reloader;
        File.WriteAllText(_file, "");
        reloader.Reload();
        Assert.Equal(["file"], options.Tokens.Select(t => t.Label));

        File.WriteAllText(_file, "sha256:zz admin\n");
        reloader.Reload();
        Assert.Equal(["file"], options.Tokens.Select(t => t.Label));

        File.Delete(_file);
        reloader.Reload();
        Assert.Equal(["file"], options.Tokens.Select(t => t.Label));
    }
}
