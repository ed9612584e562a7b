// The examples' entry point: `dotnet run -- <example> [broker-address]`.
using Sinew.Client.Examples;

return await ExampleRunner.RunAsync(args, Console.Out);
