// Registering a shared SinewClient with Microsoft.Extensions.DependencyInjection.
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sinew.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Sinew client to a service collection.</summary>
public static class SinewServiceCollectionExtensions
{
    /// <summary>Registers a singleton <see cref="SinewClient"/> configured through the options pattern. The options
    /// are validated by <see cref="SinewClientOptionsValidator"/> when first built (and at host start-up), failing
    /// with an <see cref="OptionsValidationException"/> whose messages say how to fix each problem. The client connects
    /// lazily, on its first operation (or <see cref="SinewClient.EnsureConnectedAsync"/>), logs through the container's
    /// <see cref="ILoggerFactory"/> unless the options name another, and is closed when the container is disposed.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options, for example <c>o =&gt; o.Endpoints = ["broker:7420"]</c>.</param>
    public static IServiceCollection AddSinewClient(this IServiceCollection services, Action<SinewClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<SinewClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SinewClientOptions>, SinewClientOptionsValidator>());
        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<IOptions<SinewClientOptions>>().Value;
            if (options.LoggerFactory is null && provider.GetService<ILoggerFactory>() is { } loggerFactory)
            {
                options = options.Clone();
                options.LoggerFactory = loggerFactory;
            }

            return new SinewClient(options);
        });
        return services;
    }

    /// <summary>Registers a singleton <see cref="SinewClient"/> with options set elsewhere (for example
    /// <c>services.Configure&lt;SinewClientOptions&gt;(configuration.GetSection("Sinew"))</c>), or the defaults.</summary>
    public static IServiceCollection AddSinewClient(this IServiceCollection services) => services.AddSinewClient(static _ => { });
}
