// invitegw-load: an open-loop HTTP/1.1 load generator for the gateway (and, with
// --raw-body, for the vendor emulators and proxies it is compared with), and the report
// that draws several runs' latency curves side by side.

#include "benchmarks/load/options.hpp"
#include "benchmarks/load/report.hpp"
#include "benchmarks/load/request_body.hpp"
#include "benchmarks/load/result_io.hpp"
#include "benchmarks/load/runner.hpp"

#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

bool read_file(const std::string& path, std::string& out)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    std::ostringstream text;
    text << in.rdbuf();
    out = std::move(text).str();
    return static_cast<bool>(in) || in.eof();
}

bool write_file(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    return static_cast<bool>(out);
}

int report(const std::vector<std::string_view>& args)
{
    std::string out_file, title = "invitegw-load";
    std::vector<std::string> inputs;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if ((args[i] == "--out" || args[i] == "--title") && i + 1 < args.size()) {
            (args[i] == "--out" ? out_file : title) = args[i + 1];
            ++i;
        } else if (args[i].starts_with("--")) {
            std::cerr << igw::load::usage();
            return 2;
        } else {
            inputs.emplace_back(args[i]);
        }
    }
    const bool svg = out_file.ends_with(".svg");
    if (out_file.empty() || inputs.empty() || (!svg && !out_file.ends_with(".html"))) {
        std::cerr << "invitegw-load report: needs --out FILE.html or FILE.svg and at least one RUN.json\n";
        return 2;
    }
    std::vector<igw::load::run_summary> runs;
    for (const std::string& input : inputs) {
        std::string text, error;
        igw::load::run_summary run;
        if (!read_file(input, text)) {
            std::cerr << "invitegw-load report: cannot read " << input << "\n";
            return 1;
        }
        if (!igw::load::parse_run_json(text, run, error)) {
            std::cerr << "invitegw-load report: " << input << ": " << error << "\n";
            return 1;
        }
        runs.push_back(std::move(run));
    }
    const std::string document = svg ? igw::load::render_svg(runs, title) : igw::load::render_html(runs, title);
    if (!write_file(out_file, document)) {
        std::cerr << "invitegw-load report: cannot write " << out_file << "\n";
        return 1;
    }
    std::cerr << "invitegw-load report: wrote " << out_file << " (" << runs.size() << " runs)\n";
    return 0;
}

int run(const std::vector<std::string_view>& args)
{
    igw::load::parsed_options parsed = igw::load::parse_options(args);
    if (parsed.help) {
        std::cout << igw::load::usage();
        return 0;
    }
    if (!parsed.error.empty()) {
        std::cerr << "invitegw-load: " << parsed.error << "\n" << igw::load::usage();
        return 2;
    }
    igw::load::load_options& options = parsed.options;
    if (!options.raw_body_file.empty() && !read_file(options.raw_body_file, options.raw_body)) {
        std::cerr << "invitegw-load: cannot read " << options.raw_body_file << "\n";
        return 2;
    }
    if (options.print_body) {
        std::string body = options.raw_body;
        if (options.raw_body_file.empty())
            igw::load::canonical_body(options, 0, body);
        std::cout << body << "\n";
        return 0;
    }
    const igw::load::run_result result = igw::load::run_load(options);
    igw::load::print_summary(std::cout, result);
    if (!options.json_file.empty() && !write_file(options.json_file, igw::load::to_json(result))) {
        std::cerr << "invitegw-load: cannot write " << options.json_file << "\n";
        return 1;
    }
    // Exit status for scripts: 0 only when every measured request got the expected status.
    if (!result.failure.empty() || result.completed == 0)
        return 1;
    return result.errors() == 0 ? 0 : 3;
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string_view> args(argv + 1, argv + argc);
    try {
        if (!args.empty() && args.front() == "report")
            return report({args.begin() + 1, args.end()});
        if (!args.empty() && args.front() == "run")
            args.erase(args.begin());
        return run(args);
    } catch (const std::exception& e) {
        std::cerr << "invitegw-load: " << e.what() << "\n";
        return 1;
    }
}
