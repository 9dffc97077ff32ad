"""Made-up names and phone numbers for generated staff; no real person is meant."""

from __future__ import annotations

import numpy as np

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国玉梅红云鹏飞斌宇浩凯秀琴晨阳雪婷")
COMMUNITY_NAMES = [
    "春晖",
    "秋实",
    "和平",
    "幸福",
    "安康",
    "朝阳",
    "清风",
    "明月",
    "翠竹",
    "梧桐",
    "枫林",
    "兰苑",
    "桃源",
    "荷塘",
    "锦绣",
    "星河",
    "银杏",
    "松柏",
    "长乐",
    "永宁",
]
STREET_NAMES = ["东湖", "西园", "南桥", "北岭", "中山"]
ORG_PREFIXES = ["恒达", "华信", "新锐", "盛世", "德润", "嘉禾", "宏远", "博雅", "启航", "众诚", "天成", "瑞丰"]
ORG_SUFFIXES = {
    "enterprise": ["科技有限公司", "商贸有限公司", "物业服务有限公司", "餐饮管理有限公司"],
    "social_org": ["社会工作服务中心", "志愿者协会", "养老服务中心"],
    "office_building": ["商务楼宇", "大厦"],
    "market": ["农贸市场", "商业街"],
    "public_unit": ["小学", "社区卫生服务站"],
    "park": ["创业园"],
}


def person_name(rng: np.random.Generator) -> str:
    given = "".join(rng.choice(GIVEN, size=int(rng.integers(1, 3))))
    return str(rng.choice(SURNAMES)) + given


def phone(rng: np.random.Generator) -> str:
    """An 11-digit mobile number in the 1380000-1389999 range, made up."""
    return f"138{int(rng.integers(0, 10**8)):08d}"


def org_name(kind: str, rng: np.random.Generator) -> str:
    return str(rng.choice(ORG_PREFIXES)) + str(rng.choice(ORG_SUFFIXES[kind]))
