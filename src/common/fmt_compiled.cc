// fmt's compiled part, built into the programs: Debian ships libfmt only as a shared library, and
// loading it (with the libstdc++ it needs) costs every start of `cruddur` page faults and RSS
// (issue 21). Including format-inl.h without FMT_HEADER_ONLY defines fmt's out-of-line functions
// here; the templates the headers declare extern (or only declare) are instantiated below.
#include <fmt/format-inl.h>

#if FMT_VERSION / 10000 != 9
#error "fmt_compiled.cc instantiates fmt 9's compiled templates: link fmt::fmt for other versions"
#endif

FMT_BEGIN_NAMESPACE
namespace detail {

template FMT_API auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template FMT_API auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;
template FMT_API locale_ref::locale_ref(const std::locale& loc);
template FMT_API auto locale_ref::get<std::locale>() const -> std::locale;
template FMT_API auto thousands_sep_impl<char>(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl(locale_ref) -> char;

}  // namespace detail
FMT_END_NAMESPACE
