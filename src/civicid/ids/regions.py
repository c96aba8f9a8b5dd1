"""Region (address) codes of GB 11643-1999 §5.2, which are GB/T 2260 administrative-division codes.

Only the province prefix (the first two digits) is checked: the full GB/T 2260 table changes every
year as counties merge and split, and a number keeps the code of the county that issued it, so a
county code missing from the current table does not make a number invalid.
"""

from __future__ import annotations

# GB/T 2260 province-level divisions (first two digits of the region code).
PROVINCES: dict[str, str] = {
    "11": "Beijing",
    "12": "Tianjin",
    "13": "Hebei",
    "14": "Shanxi",
    "15": "Inner Mongolia",
    "21": "Liaoning",
    "22": "Jilin",
    "23": "Heilongjiang",
    "31": "Shanghai",
    "32": "Jiangsu",
    "33": "Zhejiang",
    "34": "Anhui",
    "35": "Fujian",
    "36": "Jiangxi",
    "37": "Shandong",
    "41": "Henan",
    "42": "Hubei",
    "43": "Hunan",
    "44": "Guangdong",
    "45": "Guangxi",
    "46": "Hainan",
    "50": "Chongqing",
    "51": "Sichuan",
    "52": "Guizhou",
    "53": "Yunnan",
    "54": "Tibet",
    "61": "Shaanxi",
    "62": "Gansu",
    "63": "Qinghai",
    "64": "Ningxia",
    "65": "Xinjiang",
    "71": "Taiwan",
    "81": "Hong Kong",
    "82": "Macao",
}

# Real county-level codes the generator draws from, so that demo numbers look like real ones.
SAMPLE_COUNTIES: dict[str, str] = {
    "110101": "Beijing Dongcheng",
    "110105": "Beijing Chaoyang",
    "110108": "Beijing Haidian",
    "120101": "Tianjin Heping",
    "210102": "Shenyang Heping",
    "230102": "Harbin Daoli",
    "310104": "Shanghai Xuhui",
    "310115": "Shanghai Pudong",
    "320102": "Nanjing Xuanwu",
    "330106": "Hangzhou Xihu",
    "370102": "Jinan Lixia",
    "420106": "Wuhan Wuchang",
    "440106": "Guangzhou Tianhe",
    "440305": "Shenzhen Nanshan",
    "460105": "Haikou Xiuying",
    "500103": "Chongqing Yuzhong",
    "510107": "Chengdu Wuhou",
    "530102": "Kunming Wuhua",
    "540102": "Lhasa Chengguan",
    "610113": "Xi'an Yanta",
    "650102": "Urumqi Tianshan",
}


def is_plausible_region(code: str) -> bool:
    """Whether ``code`` is six ASCII digits starting with a GB/T 2260 province code."""
    return len(code) == 6 and code.isascii() and code.isdigit() and code[:2] in PROVINCES


def province_name(code: str) -> str | None:
    """The English name of the province a region code belongs to, or None if there is none."""
    return PROVINCES.get(code[:2])
