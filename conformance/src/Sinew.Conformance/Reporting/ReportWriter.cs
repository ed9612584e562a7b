// Writes a run's reports: JUnit XML (for CI systems), JSON (for tools and the docs site) and an HTML
// parity matrix (scenario × client) that opens in a browser.
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Linq;

namespace Sinew.Conformance.Reporting;

internal static class ReportWriter
{
    public static void WriteAll(RunReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "conformance.json"), Json(report));
        File.WriteAllText(Path.Combine(directory, "conformance-junit.xml"), JUnit(report));
        File.WriteAllText(Path.Combine(directory, "conformance.html"), Html(report));
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static string Json(RunReport report) => JsonSerializer.Serialize(report, JsonOptions);

    public static string JUnit(RunReport report)
    {
        var suites = new XElement("testsuites", new XAttribute("name", "sinew-conformance"));
        foreach (var group in report.Results.GroupBy(r => r.Client))
        {
            var suite = new XElement("testsuite",
                new XAttribute("name", $"sinew-conformance.{group.Key}"),
                new XAttribute("tests", group.Count()),
                new XAttribute("failures", group.Count(r => r.Outcome is Outcome.Failed or Outcome.Missing)),
                new XAttribute("skipped", group.Count(r => r.Outcome is Outcome.NotApplicable or Outcome.NotImplemented)),
                new XAttribute("time", Seconds(group.Sum(r => r.DurationMs))));
            foreach (var result in group)
            {
                var testcase = new XElement("testcase",
                    new XAttribute("classname", $"{group.Key}.{result.Id.Split('/')[0]}"),
                    new XAttribute("name", result.Id),
                    new XAttribute("time", Seconds(result.DurationMs)));
                switch (result.Outcome)
                {
                    case Outcome.Failed:
                        testcase.Add(new XElement("failure", new XAttribute("message", FirstLine(result.Message)), result.Message));
                        break;
                    case Outcome.Missing:
                        testcase.Add(new XElement("failure", new XAttribute("message", "missing: " + FirstLine(result.Message)), result.Message));
                        break;
                    case Outcome.NotApplicable:
                        testcase.Add(new XElement("skipped", new XAttribute("message", result.Message ?? "")));
                        break;
                    case Outcome.NotImplemented:
                        testcase.Add(new XElement("skipped", new XAttribute("message", "not implemented: " + (result.Message ?? ""))));
                        break;
                }

                suite.Add(testcase);
            }

            suites.Add(suite);
        }

        return new XDocument(new XDeclaration("1.0", "utf-8", null), suites).ToString();
    }

    public static string Html(RunReport report)
    {
        var clients = report.Clients.Select(c => c.Name).Concat(report.Results.Select(r => r.Client)).Distinct().ToList();
        var html = new StringBuilder();
        html.Append("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Sinew conformance: parity matrix</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24}
            table{border-collapse:collapse;width:100%}th,td{border:1px solid #d0d7de;padding:.35rem .5rem;vertical-align:top;font-size:.9rem}
            th{background:#f6f8fa;text-align:left}td.area{background:#eef1f4;font-weight:600}
            .passed{background:#dafbe1}.failed{background:#ffebe9}.missing{background:#fff8c5}.not_applicable{background:#f6f8fa;color:#57606a}.not_implemented{background:#ddf4ff;color:#0a3069}
            details summary{cursor:pointer}pre{white-space:pre-wrap;margin:.3rem 0 0}
            .verdict{font-size:1.2rem;font-weight:600}.ok{color:#1a7f37}.bad{color:#cf222e}
            </style></head><body>
            <h1>Sinew conformance: parity matrix</h1>
            """);
        html.Append(CultureInfo.InvariantCulture, $"<p>Run {Encode(report.StartedAt.ToString("u", CultureInfo.InvariantCulture))} against {Encode(report.Broker)}.</p>");
        html.Append(CultureInfo.InvariantCulture,
            $"<p class=\"verdict {(report.GatePassed ? "ok" : "bad")}\">{(report.GatePassed ? "Parity gate passed" : $"Parity gate failed: {report.GateProblems.Count} problem(s)")}</p>");
        if (!report.GatePassed)
        {
            html.Append("<ul>");
            foreach (var problem in report.GateProblems)
            {
                html.Append("<li>").Append(Encode(problem)).Append("</li>");
            }

            html.Append("</ul>");
        }

        html.Append("<table id=\"matrix\"><thead><tr><th>scenario</th><th>spec</th>");
        foreach (var client in clients)
        {
            var info = report.Clients.FirstOrDefault(c => c.Name == client);
            html.Append("<th>").Append(Encode(client)).Append(info is null ? "" : $"<br><small>{Encode(info.Version)}</small>").Append("</th>");
        }

        html.Append("</tr></thead><tbody>");
        foreach (var area in report.Results.GroupBy(r => r.Area))
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"area\" colspan=\"{clients.Count + 2}\">{Encode(area.Key)}</td></tr>");
            foreach (var scenario in area.GroupBy(r => r.Id))
            {
                var first = scenario.First();
                html.Append(CultureInfo.InvariantCulture, $"<tr><td><code>{Encode(first.Id)}</code><br>{Encode(first.Title)}</td><td>{Encode(first.Spec)}</td>");
                foreach (var client in clients)
                {
                    var result = scenario.FirstOrDefault(r => r.Client == client);
                    if (result is null)
                    {
                        html.Append("<td></td>");
                        continue;
                    }

                    var label = result.Outcome switch
                    {
                        Outcome.Passed => "pass",
                        Outcome.Failed => "fail",
                        Outcome.Missing => "missing",
                        Outcome.NotImplemented => "not implemented",
                        _ => "n/a",
                    };
                    var css = JsonNamingPolicy.SnakeCaseLower.ConvertName(result.Outcome.ToString());
                    html.Append(CultureInfo.InvariantCulture, $"<td class=\"{css}\">{label} <small>{result.DurationMs} ms</small>");
                    if (result.Message is { } message)
                    {
                        html.Append("<details><summary>why</summary><pre>").Append(Encode(message)).Append("</pre></details>");
                    }

                    html.Append("</td>");
                }

                html.Append("</tr>");
            }
        }

        html.Append("</tbody></table>");
        AppendCoverage(html, report);
        html.Append("</body></html>\n");
        return html.ToString();
    }

    // Which passing runs showed each op on the wire: the evidence behind "every op is covered".
    private static void AppendCoverage(StringBuilder html, RunReport report)
    {
        html.Append("<h2>Ops seen on the wire</h2>");
        if (!report.CoverageChecked)
        {
            html.Append("<p>Only part of the suite ran, so coverage of every op was not checked.</p>");
        }

        html.Append("<table id=\"coverage\"><thead><tr><th>op</th><th>covered by (passing runs that pin it and showed it)</th></tr></thead><tbody>");
        foreach (var (op, runs) in report.Coverage.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td><code>{Encode(op)}</code></td><td>{runs.Count} run(s): {Encode(string.Join(", ", runs.Take(6)))}{(runs.Count > 6 ? ", …" : "")}</td></tr>");
        }

        html.Append("</tbody></table>");
    }

    private static string Seconds(long milliseconds) => (milliseconds / 1000.0).ToString("F3", CultureInfo.InvariantCulture);

    private static string FirstLine(string? text) => text?.Split('\n')[0] ?? "";

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
